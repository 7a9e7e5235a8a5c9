/** Test support shared by the modules' tests: real processes, free loopback ports. */
package dev.switchboard.testing;
