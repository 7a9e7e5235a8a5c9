package dev.switchboard.lb.it;

import com.sun.net.httpserver.HttpServer;
import dev.switchboard.testing.AcceptLoop;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * An honest NodePort peer for the load balancer, in place of a node agent: it registers the node
 * through the Discovery stream as an agent does (so the control plane marks it ready while the
 * stream lives), and serves the service's NodePorts on the node address with plain sockets: TCP
 * answers its name then echoes (or first parses a PROXY v2 header), UDP answers each datagram with
 * its name, and an HTTP server answers the healthCheckNodePort with a chosen status.
 */
final class StandInNode implements AutoCloseable {
  final String name;
  final String address;

  /** TCP connections accepted on the NodePort. */
  final AtomicInteger accepted = new AtomicInteger();

  /** UDP datagrams received on the NodePort. */
  final AtomicInteger datagrams = new AtomicInteger();

  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "stand-in");
            t.setDaemon(true);
            return t;
          });
  private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
  private volatile ClientCallStreamObserver<DiscoveryRequest> registration;

  /** The TCP ports' accept loops: once closed, their ports refuse connections. */
  private final Set<AcceptLoop> tcp = ConcurrentHashMap.newKeySet();

  private DatagramSocket udp;
  private HttpServer health;

  private StandInNode(String name, String address) {
    this.name = name;
    this.address = address;
  }

  /** A node that is registered (ready) and serves nothing yet. */
  static StandInNode register(ManagedChannel controlPlane, String name, String address) {
    StandInNode n = new StandInNode(name, address);
    n.register(controlPlane);
    return n;
  }

  /** Opens the node's stream (again, after a control-plane restart, as an agent reconnects). */
  void register(ManagedChannel controlPlane) {
    DiscoveryGrpc.newStub(controlPlane).stream(
        new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
            registration = stream;
          }

          @Override
          public void onNext(DiscoveryResponse value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    registration.onNext(
        DiscoveryRequest.newBuilder()
            .setHello(
                Hello.newBuilder().setNodeName(name).setNodeAddress(address).setRole(Role.AGENT))
            .build());
  }

  /** Ends the node's stream, as a dead agent's would end: the control plane marks it not ready. */
  void deregister() {
    registration.cancel("node stopped", null);
  }

  /** Serves the TCP NodePort: name, newline, then echo. */
  StandInNode serveTcp(int port) throws IOException {
    return serveTcp(port, false);
  }

  /**
   * With {@code proxyV2}: reads a PROXY v2 header first and answers "name source destination". May
   * be called once per port (one per service).
   */
  StandInNode serveTcp(int port, boolean proxyV2) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(address, port), 512);
    AcceptLoop loop =
        AcceptLoop.start(
            server,
            "stand-in-accept",
            s -> {
              accepted.incrementAndGet();
              open.add(s);
              pool.execute(() -> serve(s, proxyV2));
            });
    tcp.add(loop);
    return this;
  }

  private void serve(Socket s, boolean proxyV2) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      String first = name;
      if (proxyV2) {
        ProxyHeader h = ProxyHeader.read(in);
        first = name + " " + h.source() + " " + h.destination();
      }
      out.write((first + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // the client went away, or the node was stopped
    } finally {
      open.remove(s);
    }
  }

  /** Serves the UDP NodePort: each datagram is answered with the node's name. */
  StandInNode serveUdp(int port) throws IOException {
    udp = new DatagramSocket(new InetSocketAddress(address, port));
    open.add(udp);
    pool.execute(
        () -> {
          byte[] buf = new byte[2048];
          while (!udp.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
              udp.receive(p);
              datagrams.incrementAndGet();
              byte[] answer = name.getBytes(StandardCharsets.UTF_8);
              udp.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (IOException e) {
              return;
            }
          }
        });
    return this;
  }

  /**
   * Serves the healthCheckNodePort: every request is answered with {@code status}'s current value.
   */
  StandInNode serveHealth(int port, IntSupplier status) throws IOException {
    health = HttpServer.create(new InetSocketAddress(address, port), 16);
    health.createContext(
        "/",
        exchange -> {
          byte[] body =
              ("{\"localEndpoints\":" + (status.getAsInt() == 200 ? 1 : 0) + "}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status.getAsInt(), body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    health.setExecutor(pool);
    health.start();
    return this;
  }

  /** Closes the TCP NodePorts and cuts their connections: a node whose ports are gone. */
  void stopTcp() throws IOException {
    // AcceptLoop.close() returns once its loop has left accept(): from then on the ports refuse
    // (ServerSocket.close() alone returns while the kernel's listening socket can still take one
    // more connection).
    for (AcceptLoop loop : tcp) {
      loop.close();
    }
    for (AutoCloseable c : open) {
      if (c instanceof Socket s) {
        s.close();
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      deregister();
    } catch (RuntimeException ignored) {
      // already ended
    }
    if (health != null) {
      health.stop(0);
    }
    for (AcceptLoop loop : tcp) {
      loop.close();
    }
    for (AutoCloseable c : open) {
      try {
        c.close();
      } catch (Exception e) {
        // closing a test server: nothing to do about it
      }
    }
    pool.shutdownNow();
  }
}
