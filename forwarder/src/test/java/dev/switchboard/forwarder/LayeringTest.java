package dev.switchboard.forwarder;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The shared forwarding engine knows nothing of gRPC, our API, OpenTelemetry or command lines
 * (docs/architecture.md).
 */
class LayeringTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.switchboard.forwarder");

  @Test
  void theForwarderImportsNoGrpcNoProtoNoTelemetryNoEtcdNoPicocli() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.grpc..",
            "dev.switchboard.v1..",
            "io.opentelemetry..",
            "io.etcd..",
            "com.google.protobuf..",
            "picocli..")
        .because("node-agent and cloud-lb bring those; the engine stays a Netty library")
        .check(MAIN);
  }
}
