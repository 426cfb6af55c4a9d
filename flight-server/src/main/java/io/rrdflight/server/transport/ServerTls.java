package io.rrdflight.server.transport;

import static java.util.Objects.requireNonNull;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The TLS side of the shared port ({@code --tls-cert}, {@code --tls-key}): gRPC's cipher suites, and
 * ALPN choosing {@code http/1.1} when the client offers it and {@code h2} otherwise. gRPC clients
 * (grpc-java, tonic, gRPC core, Go) offer only {@code h2} and get it; browsers and curl offer both
 * and get HTTP/1.1, the only HTTP this port answers ({@code GET /version}). Preferring h2 would send
 * their {@code GET /version} to gRPC, which refuses it.
 */
public final class ServerTls {
  private ServerTls() {}

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
      builder = GrpcSslContexts.configure(SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile()));
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot use " + certificateChain + " and " + privateKey + " as a TLS certificate and key: "
          + rootMessage(e) + " (the key must be PEM PKCS#8, BEGIN PRIVATE KEY; convert with: openssl pkcs8 -topk8 -nocrypt"
          + " -in KEY -out KEY.pk8)", e);
    }
    builder.applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN, SelectorFailureBehavior.NO_ADVERTISE,
        SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_1_1, ApplicationProtocolNames.HTTP_2));
    try {
      return builder.build();
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
