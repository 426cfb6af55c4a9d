package io.rrdflight.rrd;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The vectors a test makes, from the allocator {@link NoLeaks} gives it, closed by {@link NoLeaks} after
 * the test's {@code @AfterEach} methods and before it checks for leaks: a test takes one as a parameter
 * instead of keeping a list and closing it itself.
 */
public final class TestVectors implements AutoCloseable {
  private final BufferAllocator allocator;
  private final List<FieldVector> vectors = new ArrayList<>();

  TestVectors(BufferAllocator allocator) {
    this.allocator = Objects.requireNonNull(allocator, "allocator");
  }

  /** The test's allocator (the one a {@code BufferAllocator} parameter gets too). */
  public BufferAllocator allocator() {
    return allocator;
  }

  /** {@code vector}, closed with the others when the test ends. */
  public <T extends FieldVector> T keep(T vector) {
    vectors.add(Objects.requireNonNull(vector, "vector"));
    return vector;
  }

  /** An empty vector of {@code field}'s type, its buffers allocated, closed with the others when the test ends. */
  @SuppressWarnings("unchecked")
  public <T extends FieldVector> T allocated(Field field) {
    T vector = keep((T) field.createVector(allocator));
    vector.allocateNew();
    return vector;
  }

  @Override
  public void close() {
    vectors.forEach(FieldVector::close);
    vectors.clear();
  }
}
