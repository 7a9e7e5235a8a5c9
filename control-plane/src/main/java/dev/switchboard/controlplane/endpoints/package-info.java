/**
 * Derives the endpoints of selector services from pods, as Kubernetes' EndpointSlice controller
 * does, and recomputes only what a change touches.
 *
 * <ul>
 *   <li>{@link dev.switchboard.controlplane.endpoints.EndpointsBuilder}: the pure function
 *       (service, pods) → endpoints. Its output is canonical (pods sorted by name), so callers can
 *       drop no-op updates by {@code equals}.
 *   <li>{@link dev.switchboard.controlplane.endpoints.SelectorIndex}: which services select a pod,
 *       without scanning all services.
 *   <li>{@link dev.switchboard.controlplane.endpoints.EndpointsTracker}: holds services, pods and
 *       the last computed endpoints; each event returns only the endpoints that changed.
 * </ul>
 *
 * <p>No etcd, no gRPC: the store feeds events in, the discovery layer takes the changes out.
 */
package dev.switchboard.controlplane.endpoints;
