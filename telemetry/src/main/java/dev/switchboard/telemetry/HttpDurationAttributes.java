package dev.switchboard.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attributes of {@code switchboard.http.request.duration} (listener, method, status), each set
 * built once and reused for every request like it: building and hashing a new {@link Attributes}
 * per request was most of the metric's cost. Methods outside HTTP's registered ones are recorded as
 * {@code _OTHER} (OpenTelemetry's HTTP conventions), so a client cannot grow the series.
 *
 * <p>Shared by the event loops without locks: a slot filled twice by a race gets an equal value,
 * and {@link Attributes} are immutable. Listeners beyond {@link #MAX_LISTENERS} clear the table (it
 * is rebuilt as requests come), which bounds it when services come and go for months.
 */
final class HttpDurationAttributes {
  static final AttributeKey<String> LISTENER = AttributeKey.stringKey("listener");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final String OTHER_METHOD = "_OTHER";
  private static final List<String> METHODS =
      List.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
  private static final int MAX_LISTENERS = 4096;

  /** Index 0: no response (0); 1..500: status 100..599. */
  private static final int STATUS_SLOTS = 501;

  private final ConcurrentHashMap<String, Attributes[][]> byListener = new ConcurrentHashMap<>();

  /** The index of {@code method} among the registered methods; {@code _OTHER} after them. */
  static int methodIndex(String method) {
    int i = METHODS.indexOf(method);
    return i < 0 ? METHODS.size() : i;
  }

  static String methodName(int index) {
    return index < METHODS.size() ? METHODS.get(index) : OTHER_METHOD;
  }

  Attributes of(String listener, int method, long status) {
    int slot = status == 0 ? 0 : status >= 100 && status <= 599 ? (int) status - 99 : -1;
    if (slot < 0) {
      return build(listener, method, status); // not a status HTTP defines: not worth a slot
    }
    Attributes[][] table = byListener.get(listener);
    if (table == null) {
      if (byListener.size() >= MAX_LISTENERS) {
        byListener.clear();
      }
      table = byListener.computeIfAbsent(listener, l -> new Attributes[METHODS.size() + 1][]);
    }
    Attributes[] row = table[method];
    if (row == null) {
      row = new Attributes[STATUS_SLOTS];
      table[method] = row;
    }
    Attributes a = row[slot];
    if (a == null) {
      a = build(listener, method, status);
      row[slot] = a;
    }
    return a;
  }

  private static Attributes build(String listener, int method, long status) {
    return Attributes.of(LISTENER, listener, METHOD, methodName(method), STATUS, status);
  }
}
