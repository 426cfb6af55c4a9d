package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Task;
import io.rrdflight.rrd.proto.DataframePart;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;

/**
 * QueryTasksOnCompletion: waits until every task has finished, then sends their task table and
 * closes. If the request's timeout passes first the call ends with DEADLINE_EXCEEDED, which the SDK
 * raises as TimeoutError (as its documentation of {@code Tasks.wait} promises). Waits on our own
 * threads in short slices, so a client that hangs up is noticed and no gRPC thread is held; tasks that
 * have all finished already are answered at once on the call's thread.
 */
final class TaskCompletion {
  /** How often a waiting call checks whether its client is still there. */
  private static final Duration SLICE = Duration.ofMillis(500);

  private final Catalog catalog;
  private final ExecutorService executor;
  private final BufferAllocator allocator;

  TaskCompletion(Catalog catalog, ExecutorService executor, BufferAllocator allocator) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.executor = requireNonNull(executor, "executor is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  /** Waits as described above, then sends the task table, wrapped in the wire's message by {@code message}. */
  <T> void await(List<String> ids, Duration timeout, Vocabulary vocabulary, StreamObserver<T> observer, Function<DataframePart, T> message) {
    List<String> distinct = ids.stream().distinct().toList();
    distinct.forEach(catalog::task); // unknown ids are NOT_FOUND at once
    Context context = Context.current();
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    // Tasks that have already finished (a registration of footer files answers with finished tasks) are
    // answered on the call's own thread: there is nothing to wait for, and handing the answer to another
    // thread only added a thread switch to the client's wait.
    try {
      List<Task> already = catalog.awaitFinished(distinct, Duration.ZERO);
      if (allFinished(already)) {
        if (!context.isCancelled()) {
          send(already, vocabulary, observer, message);
        }
        return;
      }
    } catch (RuntimeException | Error e) {
      observer.onError(CatalogStatus.of(e, "QueryTasksOnCompletion"));
      return;
    }
    executor.execute(context.wrap(() -> {
      try {
        List<Task> tasks = catalog.awaitFinished(distinct, Duration.ZERO);
        while (!allFinished(tasks) && !context.isCancelled()) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          tasks = catalog.awaitFinished(distinct, Duration.ofNanos(Math.min(left, SLICE.toNanos())));
        }
        if (context.isCancelled()) {
          return;
        }
        if (!allFinished(tasks)) {
          List<Task> open = tasks.stream().filter(t -> !t.status().finished()).toList();
          observer.onError(Status.DEADLINE_EXCEEDED.withDescription(open.size() + " of " + tasks.size()
              + " task(s) still not finished after " + timeout.toMillis() / 1000.0 + " s: "
              + open.stream().map(t -> t.id() + " (" + t.status().word() + ", " + t.source() + ")").collect(Collectors.joining(", ")))
              .asRuntimeException());
          return;
        }
        send(tasks, vocabulary, observer, message);
      } catch (RuntimeException | Error e) {
        // Errors too (see DatasetQuery#query): a thread that dies silently leaves its client waiting.
        observer.onError(CatalogStatus.of(e, "QueryTasksOnCompletion"));
      }
    }));
  }

  /** Sends the finished tasks' table and closes the call. */
  private <T> void send(List<Task> tasks, Vocabulary vocabulary, StreamObserver<T> observer, Function<DataframePart, T> message) {
    observer.onNext(message.apply(TaskTable.batch(tasks, vocabulary, allocator)));
    observer.onCompleted();
  }

  private static boolean allFinished(List<Task> tasks) {
    return tasks.stream().allMatch(t -> t.status().finished());
  }
}
