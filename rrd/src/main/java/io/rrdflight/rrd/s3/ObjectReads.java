package io.rrdflight.rrd.s3;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the objects opened through one {@code RecordingSources} asked of the store: for tests and
 * benchmarks that check read-ahead works (that announced chunks are fetched ahead, once, and read).
 */
public final class ObjectReads {
  final LongAdder gets = new LongAdder();
  final LongAdder fetchedAhead = new LongAdder();
  final LongAdder readAhead = new LongAdder();

  /** The counts so far. */
  public Counts counts() {
    return new Counts(gets.sum(), fetchedAhead.sum(), readAhead.sum());
  }

  /**
   * @param gets ranged GETs sent (blocks, large reads and announced spans)
   * @param fetchedAhead announced spans fetched on their own
   * @param readAhead of those, the ones read to their end (the rest was dropped unread)
   */
  public record Counts(long gets, long fetchedAhead, long readAhead) {
    public Counts minus(Counts before) {
      return new Counts(gets - before.gets, fetchedAhead - before.fetchedAhead, readAhead - before.readAhead);
    }
  }
}
