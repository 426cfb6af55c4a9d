package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.rrdflight.sql.QueryContext;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One query or data stream that {@link QueryAdmission} let in: its allocator, whose limit is the
 * memory budget, and its {@link QueryContext} (deadline, cancellation). Closing it closes the
 * allocator and gives the slot back; the thread that ran the work is then free.
 */
public final class AdmittedQuery implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdmittedQuery.class);

  private final BufferAllocator allocator;
  private final QueryContext context;
  private final Runnable leave;

  AdmittedQuery(BufferAllocator allocator, QueryContext context, Runnable leave) {
    this.allocator = requireNonNull(allocator, "allocator is null");
    this.context = requireNonNull(context, "context is null");
    this.leave = requireNonNull(leave, "leave is null");
  }

  public BufferAllocator allocator() {
    return allocator;
  }

  public QueryContext context() {
    return context;
  }

  @Override
  public void close() {
    try {
      allocator.close();
    } catch (IllegalStateException leak) {
      // The query's buffers were not all released: a bug, but the client already has its answer.
      log.error("query allocator closed with buffers still allocated: {}", leak.getMessage());
    } finally {
      leave.run();
    }
  }
}
