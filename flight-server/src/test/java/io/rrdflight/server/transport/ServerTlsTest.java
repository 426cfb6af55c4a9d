package io.rrdflight.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.rrdflight.server.TestCa;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerTlsTest {
  @TempDir static Path caDir;
  static TestCa ca;

  @BeforeAll
  static void makeCa() throws Exception {
    ca = TestCa.create(caDir);
  }

  @Test
  void boringSslLoadsOnThePlatformsTheJarBundlesItFor() {
    // The jar carries netty-tcnative-boringssl-static for linux/osx x86_64 and aarch_64 and windows x86_64.
    assertTrue(OpenSsl.isAvailable(), () -> "netty-tcnative did not load: " + OpenSsl.unavailabilityCause());
    assertEquals(SslProvider.OPENSSL, ServerTls.provider());
    assertTrue(ServerTls.engineDescription().startsWith("OpenSSL engine (BoringSSL"), ServerTls.engineDescription());
  }

  @Test
  void theServerContextUsesTheEngineItNamesAndOffersHttp11BeforeH2() throws Exception {
    SslContext context = ServerTls.fromPem(ca.serverCertPem(), ca.serverKeyPem());
    assertTrue(context.isServer());
    assertEquals(ServerTls.provider() == SslProvider.OPENSSL, context instanceof OpenSslContext, context.getClass().getName());
    assertEquals(List.of("http/1.1", "h2"), context.applicationProtocolNegotiator().protocols());
    SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT);
    try {
      assertTrue(List.of(engine.getEnabledProtocols()).contains("TLSv1.3"), List.of(engine.getEnabledProtocols()).toString());
    } finally {
      ReferenceCountUtil.release(engine);
    }
  }
}
