/** The forwarding engine: Netty TCP/UDP proxying and endpoint picking; no gRPC, no etcd. */
package dev.switchboard.forwarder;
