package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A self-contained ticket for one slice of a split query: the SQL text (bound values written in), the
 * partitions of this slice, its index among the FlightInfo's endpoints, and the id of the query it
 * belongs to (random: the slices of one id share one admission slot and budget on a server, see
 * {@link io.rrdflight.server.QueryShares}, and CancelFlightInfo names it). Nothing refers to server
 * memory, so any server on the same catalog can serve it, any number of times.
 *
 * <p>It is not signed: everything in it is something the caller could send as SQL, and DoGet runs it
 * with the caller's own role (DoGet needs a reader, and SQL only reads), so a forged ticket gives
 * nothing a reader cannot already ask for. It travels as a Flight SQL {@code TicketStatementQuery}
 * whose handle starts with {@link #PREFIX}.
 */
record SliceTicket(UUID executionId, int index, String sql, SortedSet<String> partitionIds) {
  static final ByteString PREFIX = ByteString.copyFromUtf8("rrdflight-slice-2:");
  /** More than any dataset we serve has partitions; bounds what a hostile ticket makes us allocate. */
  static final int MAX_PARTITIONS = 1_000_000;

  SliceTicket {
    requireNonNull(executionId, "executionId is null");
    requireNonNull(sql, "sql is null");
    if (index < 0) {
      throw new IllegalArgumentException("index must not be negative: " + index);
    }
    partitionIds = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(partitionIds));
  }

  static boolean isSlice(ByteString handle) {
    return handle.startsWith(PREFIX);
  }

  ByteString encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(PREFIX.toByteArray());
      out.writeLong(executionId.getMostSignificantBits());
      out.writeLong(executionId.getLeastSignificantBits());
      out.writeInt(index);
      writeString(out, sql);
      out.writeInt(partitionIds.size());
      for (String id : partitionIds) {
        writeString(out, id);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail
    }
    return ByteString.copyFrom(bytes.toByteArray());
  }

  /** Reads a handle that {@link #isSlice}; a damaged one is INVALID_ARGUMENT. */
  static SliceTicket decode(ByteString handle) {
    try (DataInputStream in = new DataInputStream(handle.substring(PREFIX.size()).newInput())) {
      UUID id = new UUID(in.readLong(), in.readLong());
      int index = in.readInt();
      String sql = readString(in, handle.size());
      int n = in.readInt();
      if (n < 0 || n > MAX_PARTITIONS) {
        throw new IOException("partition count " + n);
      }
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ids.add(readString(in, handle.size()));
      }
      if (in.available() > 0) {
        throw new IOException("trailing bytes");
      }
      return new SliceTicket(id, index, sql, new TreeSet<>(ids));
    } catch (IOException | RuntimeException e) {
      throw Status.INVALID_ARGUMENT.withDescription("Damaged query ticket (" + (e instanceof java.io.EOFException ? "truncated" : e.getMessage()) + "); ask for a new FlightInfo")
          .asRuntimeException();
    }
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in, int max) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > max) {
      throw new IOException("string length " + n);
    }
    return new String(in.readNBytes(n), StandardCharsets.UTF_8);
  }
}
