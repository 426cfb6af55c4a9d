package io.rrdflight.rrd.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SigV4 as AWS documents it: the example of a ListObjects request in AWS's S3 signing guide. */
class S3SignerTest {
  @Test
  void signsAwsDocumentedListRequest() {
    S3Signer signer = new S3Signer(new S3Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", null), "us-east-1");
    Map<String, String> query = new LinkedHashMap<>();
    query.put("max-keys", "2");
    query.put("prefix", "J");
    Map<String, String> headers = signer.sign("GET", "examplebucket.s3.amazonaws.com", "/", query,
        ZonedDateTime.of(2013, 5, 24, 0, 0, 0, 0, ZoneOffset.UTC));
    assertEquals("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
        + "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", headers.get("Authorization"));
    assertEquals("20130524T000000Z", headers.get("x-amz-date"));
  }

  @Test
  void credentialsNeverShowTheirSecret() {
    assertFalse(new S3Credentials("id", "the-secret", "token").toString().contains("the-secret"));
  }

  @Test
  void keysAreEncodedAsS3Wants() {
    assertEquals("runs/a%20b%2Bc~.rrd", S3Signer.encodePath("runs/a b+c~.rrd"));
    assertEquals("max-keys=2&prefix=a%2Fb", S3Signer.canonicalQuery(Map.of("prefix", "a/b", "max-keys", "2")));
  }
}
