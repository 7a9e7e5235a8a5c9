package dev.switchboard.launcher;

import java.nio.file.Path;

/**
 * What to start.
 *
 * @param etcdPort 0: 2379 when free, else any free port
 */
record LaunchOptions(int nodes, boolean demo, Path stateDir, int controlPlanePort, int etcdPort,
    int agentAdminPort) {}
