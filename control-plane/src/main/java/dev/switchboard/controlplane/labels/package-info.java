/**
 * Kubernetes label selectors: the string form ({@code app=web,tier!=db,env in (a,b),!legacy}) used
 * by list and watch requests, and the map form of {@code service.spec.selector}.
 */
package dev.switchboard.controlplane.labels;
