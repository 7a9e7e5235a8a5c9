/**
 * HTTP/2 mode (h2c, gRPC): the client's connection is terminated and each stream is forwarded to an
 * endpoint picked for it, over a small pool of HTTP/2 connections per endpoint. Built on the
 * lifecycle in {@code forwarder.internal}, as the HTTP/1.1 mode in {@code forwarder.http} is.
 */
package dev.switchboard.forwarder.h2;
