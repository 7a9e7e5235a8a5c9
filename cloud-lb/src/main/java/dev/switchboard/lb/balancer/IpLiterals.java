package dev.switchboard.lb.balancer;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** IPv4 literals from the API, parsed without ever resolving a name. */
final class IpLiterals {
    private IpLiterals() {
    }

    /** The address, or empty when {@code text} is not a dotted-quad IPv4 address. */
    static Optional<InetAddress> ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Optional.empty();
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return Optional.empty();
            }
            bytes[i] = (byte) v;
        }
        try {
            return Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            return Optional.empty(); // cannot happen for 4 bytes
        }
    }
}
