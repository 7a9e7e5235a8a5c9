package dev.switchboard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ComponentJvmTest {

  @Test
  void trimsTheNativeHeapOnlyWhereTheJvmHasTheFlag() {
    assertThat(ComponentJvm.trimsNativeHeap(Runtime.Version.parse("17.0.8"))).isFalse();
    assertThat(ComponentJvm.trimsNativeHeap(Runtime.Version.parse("17.0.9"))).isTrue();
    assertThat(ComponentJvm.trimsNativeHeap(Runtime.Version.parse("17.0.15+6"))).isTrue();
    assertThat(ComponentJvm.trimsNativeHeap(Runtime.Version.parse("19.0.2"))).isFalse();
    assertThat(ComponentJvm.trimsNativeHeap(Runtime.Version.parse("21"))).isFalse();
    assertThat(ComponentJvm.trimsNativeHeap(Runtime.Version.parse("21.0.1"))).isTrue();
    assertThat(ComponentJvm.trimsNativeHeap(Runtime.Version.parse("25"))).isTrue();
  }

  @Test
  void theNodeAgentsFlagsStartThisJvm() throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(ComponentJvm.nodeAgent());
    command.add("-version");
    Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(java.getInputStream().readAllBytes());
    assertThat(java.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(java.exitValue()).as(output).isZero();
    assertThat(ComponentJvm.nodeAgent()).startsWith(ComponentJvm.COMMON.toArray(String[]::new));
  }
}
