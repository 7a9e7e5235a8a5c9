/**
 * Defaulting and validation of API objects, with Kubernetes' rules and Kubernetes' messages ({@code
 * spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range
 * of valid ports is 30000-32767}), so that a Kubernetes user recognises every refusal and a
 * Kubernetes Service YAML that Kubernetes accepts is accepted here too.
 *
 * <p>Pure Java: no etcd, no gRPC. Callers turn a {@link
 * dev.switchboard.controlplane.validation.ValidationException} into INVALID_ARGUMENT.
 */
package dev.switchboard.controlplane.validation;
