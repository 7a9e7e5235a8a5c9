package dev.switchboard.launcher;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * The demo app: a tiny HTTP server per pod that answers with its pod and node name, so that {@code
 * curl} through a Service shows where each request went.
 *
 * <p>Usage: {@code DemoApp POD@NODE@IP:PORT ...}
 */
public final class DemoApp {
  private DemoApp() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    List<HttpServer> servers = new ArrayList<>();
    for (String arg : args) {
      String[] parts = arg.split("@");
      String pod = parts[0];
      String node = parts[1];
      String[] hostPort = parts[2].split(":");
      HttpServer server =
          HttpServer.create(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 128);
      byte[] body = ("pod=" + pod + " node=" + node + "\n").getBytes(StandardCharsets.UTF_8);
      server.createContext(
          "/",
          exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.setExecutor(Executors.newFixedThreadPool(2));
      server.start();
      servers.add(server);
      System.out.println("demo pod " + pod + " (node " + node + ") serving on " + parts[2]);
    }
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  servers.forEach(s -> s.stop(0));
                  stop.countDown();
                }));
    stop.await();
  }
}
