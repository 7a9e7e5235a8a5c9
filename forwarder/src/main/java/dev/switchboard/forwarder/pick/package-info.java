/**
 * Endpoint picking: the candidate rules ({@link dev.switchboard.forwarder.pick.EndpointSet}),
 * uniform random (Kubernetes' default) and ClientIP affinity. A picker is confined to its
 * listener's event loop.
 */
package dev.switchboard.forwarder.pick;
