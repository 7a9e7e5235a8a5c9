/**
 * Address and port range arithmetic for allocations: which ClusterIPs, NodePorts and LoadBalancer
 * IPs exist, which one to pick next, and the etcd key that records each one.
 *
 * <p>Pure functions and values only: no etcd, no gRPC. The store wraps these in the transactions
 * that make an allocation and its owner commit together.
 */
package dev.switchboard.controlplane.alloc;
