/** Pieces shared by the TCP and UDP listeners (implementation, not API). */
package dev.switchboard.forwarder.internal;
