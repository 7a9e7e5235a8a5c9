/**
 * Pieces shared by the listeners (implementation, not API): listener base classes, targeting, the
 * PROXY header reader, and the one connection lifecycle ({@link
 * dev.switchboard.forwarder.internal.ConnectionLifecycle}, {@link
 * dev.switchboard.forwarder.internal.EndpointDialer}) that TCP and HTTP/1.1 connections extend.
 */
package dev.switchboard.forwarder.internal;
