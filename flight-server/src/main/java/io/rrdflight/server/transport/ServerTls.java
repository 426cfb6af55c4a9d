package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of the shared port ({@code --tls-cert}, {@code --tls-key}): gRPC's cipher suites, and
 * ALPN choosing {@code http/1.1} when the client offers it and {@code h2} otherwise. gRPC clients
 * (grpc-java, tonic, gRPC core, Go) offer only {@code h2} and get it; browsers and curl offer both
 * and get HTTP/1.1, the only HTTP this port answers ({@code GET /version}). Preferring h2 would send
 * their {@code GET /version} to gRPC, which refuses it.
 *
 * <p>The engine is BoringSSL (netty-tcnative, bundled in the jar for Linux, macOS and Windows) when its
 * native library loads, the JDK's otherwise: both speak the same TLS, and BoringSSL's AES-GCM costs
 * the server less CPU on bulk transfers (scripts/bench/security_cost.py measures both). Which one runs
 * is logged at start; {@code -Dio.netty.handler.ssl.noOpenSsl=true} forces the JDK's.
 */
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  private ServerTls() {}

  /** BoringSSL when netty-tcnative's native library loads on this platform, else the JDK's engine. */
  public static SslProvider provider() {
    return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  /** The engine {@link #provider()} picks, for the log: which library and, for the JDK, why not BoringSSL. */
  public static String engineDescription() {
    if (OpenSsl.isAvailable()) {
      return "OpenSSL engine (" + OpenSsl.versionString() + ", netty-tcnative)";
    }
    Throwable cause = OpenSsl.unavailabilityCause();
    return "JDK engine (netty-tcnative unavailable: " + (cause == null ? "unknown" : rootMessage(cause)) + ")";
  }

  /**
   * A server context from a PEM certificate chain and a PEM PKCS#8 private key; an {@link IOException}
   * naming the file when either cannot be read.
   */
  public static SslContext fromPem(Path certificateChain, Path privateKey) throws IOException {
    requireNonNull(certificateChain, "certificateChain is null");
    requireNonNull(privateKey, "privateKey is null");
    for (Path file : new Path[] {certificateChain, privateKey}) {
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new IOException("cannot read " + file + (Files.exists(file) ? " (not a readable file)" : " (no such file)"));
      }
    }
    SslContextBuilder builder;
    try {
      builder = GrpcSslContexts.configure(SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile()), provider());
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot use " + certificateChain + " and " + privateKey + " as a TLS certificate and key: "
          + rootMessage(e) + " (the key must be PEM PKCS#8, BEGIN PRIVATE KEY; convert with: openssl pkcs8 -topk8 -nocrypt"
          + " -in KEY -out KEY.pk8)", e);
    }
    // Netty puts the key in an in-memory KeyStore for the engine's key manager; the default type
    // (PKCS12) encrypts it with PBKDF2 and decrypts it again: ~90 ms of a ~200 ms context build, at
    // every start, for a store that never leaves this process. JKS does not.
    builder.keyStoreType("JKS");
    builder.applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN, SelectorFailureBehavior.NO_ADVERTISE,
        SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_1_1, ApplicationProtocolNames.HTTP_2));
    try {
      SslContext context = builder.build();
      log.info("TLS: {}", engineDescription());
      return context;
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot use " + certificateChain + " and " + privateKey + " as a TLS certificate and key: " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }
}
