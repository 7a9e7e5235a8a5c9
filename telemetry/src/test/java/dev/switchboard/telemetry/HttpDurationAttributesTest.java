package dev.switchboard.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import org.junit.jupiter.api.Test;

class HttpDurationAttributesTest {
  private final HttpDurationAttributes attributes = new HttpDurationAttributes();

  @Test
  void eachListenerMethodAndStatusIsBuiltOnceAndReused() {
    int get = HttpDurationAttributes.methodIndex("GET");
    Attributes first = attributes.of("default/web:http", get, 200);
    assertThat(attributes.of("default/web:http", get, 200)).isSameAs(first);
    assertThat(first.get(HttpDurationAttributes.LISTENER)).isEqualTo("default/web:http");
    assertThat(first.get(HttpDurationAttributes.METHOD)).isEqualTo("GET");
    assertThat(first.get(HttpDurationAttributes.STATUS)).isEqualTo(200L);
    assertThat(attributes.of("default/web:http", get, 404)).isNotEqualTo(first);
    assertThat(attributes.of("default/api:http", get, 200)).isNotEqualTo(first);
  }

  @Test
  void methodsHttpDoesNotRegisterAreRecordedAsOther() {
    int odd = HttpDurationAttributes.methodIndex("FROBNICATE");
    assertThat(odd).isEqualTo(HttpDurationAttributes.methodIndex("ANOTHER"));
    assertThat(attributes.of("l", odd, 200).get(HttpDurationAttributes.METHOD)).isEqualTo("_OTHER");
  }

  @Test
  void noResponseAndUnusualStatusesAreStillRecordedAsTheyAre() {
    int get = HttpDurationAttributes.methodIndex("GET");
    assertThat(attributes.of("l", get, 0).get(HttpDurationAttributes.STATUS)).isEqualTo(0L);
    assertThat(attributes.of("l", get, 999).get(HttpDurationAttributes.STATUS)).isEqualTo(999L);
  }
}
