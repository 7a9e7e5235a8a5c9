/** UDP forwarding (implementation, not API): per-client flow table with idle expiry. */
package dev.switchboard.forwarder.udp;
