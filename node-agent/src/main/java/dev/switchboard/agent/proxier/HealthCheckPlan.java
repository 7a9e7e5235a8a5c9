package dev.switchboard.agent.proxier;

import dev.switchboard.discovery.client.ServiceName;

/**
 * A LoadBalancer service with externalTrafficPolicy Local wants its healthCheckNodePort answered on
 * this node: 200 while {@code localEndpoints > 0}, so that load balancers send only to nodes that
 * can serve the traffic locally.
 *
 * @param service the service
 * @param port its healthCheckNodePort
 * @param localEndpoints ready endpoints of the service on this node
 */
public record HealthCheckPlan(ServiceName service, int port, int localEndpoints) {}
