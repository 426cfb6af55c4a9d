package io.rrdflight.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made at test time with the JDK's keytool, and a server certificate it
 * signed for {@code localhost} and {@code 127.0.0.1}: PEM files as an operator would have them
 * ({@link #caPem()}, {@link #serverCertPem()}, {@link #serverKeyPem()}, the key in PKCS#8).
 */
public final class TestCa {
  private static final String PASS = "test-pass";
  private final Path dir;

  private TestCa(Path dir) {
    this.dir = dir;
  }

  public static TestCa create(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    keytool(dir, "-genkeypair", "-keystore", "ca.p12", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=rrdflight test CA", "-ext", "bc:c", "-validity", "2");
    keytool(dir, "-exportcert", "-keystore", "ca.p12", "-alias", "ca", "-rfc", "-file", "ca.pem");
    keytool(dir, "-genkeypair", "-keystore", "server.p12", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=localhost", "-validity", "2");
    keytool(dir, "-certreq", "-keystore", "server.p12", "-alias", "server", "-file", "server.csr");
    keytool(dir, "-gencert", "-keystore", "ca.p12", "-alias", "ca", "-infile", "server.csr", "-outfile", "server.pem", "-rfc",
        "-ext", "san=dns:localhost,ip:127.0.0.1", "-ext", "eku=serverAuth", "-validity", "2");
    try {
      KeyStore server = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
        server.load(in, PASS.toCharArray());
      }
      PrivateKey key = (PrivateKey) server.getKey("server", PASS.toCharArray());
      String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
          .encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(dir.resolve("server.key"), pem);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot export the test server key: " + e, e);
    }
    return new TestCa(dir);
  }

  public Path caPem() {
    return dir.resolve("ca.pem");
  }

  public Path serverCertPem() {
    return dir.resolve("server.pem");
  }

  public Path serverKeyPem() {
    return dir.resolve("server.key");
  }

  /** A client TLS context that trusts this CA only. */
  public SSLContext clientContext() throws IOException {
    try (InputStream in = Files.newInputStream(caPem())) {
      X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot trust the test CA: " + e, e);
    }
  }

  private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("-storepass", PASS, "-noprompt"));
    if (!args[0].equals("-exportcert")) {
      command.addAll(List.of("-keypass", PASS));
    }
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed:\n" + output);
    }
  }
}
