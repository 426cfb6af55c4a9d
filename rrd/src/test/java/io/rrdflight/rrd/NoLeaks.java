package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * With {@code @ExtendWith(NoLeaks.class)}, a test (or its {@code @BeforeEach}) that takes a {@link BufferAllocator}
 * parameter gets a fresh root allocator, one per test, and the test fails when a buffer is still allocated after its
 * {@code @AfterEach} methods have closed what they hold. A {@link TestVectors} parameter holds vectors made from that
 * allocator and is closed here, before the check. The allocator is capped, so a decoding bug that allocates
 * wildly fails instead of exhausting the machine. In rrd's test-jar, so that the modules above share it.
 */
public final class NoLeaks implements ParameterResolver, AfterEachCallback {
  private static final long LIMIT = 1L << 30;
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoLeaks.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == BufferAllocator.class || type == TestVectors.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == TestVectors.class) {
      return context.getStore(NAMESPACE).getOrComputeIfAbsent("vectors", k -> new TestVectors(allocator(context)), TestVectors.class);
    }
    return allocator(context);
  }

  private static BufferAllocator allocator(ExtensionContext context) {
    return context.getStore(NAMESPACE).getOrComputeIfAbsent("allocator", k -> new RootAllocator(LIMIT), BufferAllocator.class);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    TestVectors vectors = context.getStore(NAMESPACE).remove("vectors", TestVectors.class);
    if (vectors != null) {
      vectors.close();
    }
    BufferAllocator allocator = context.getStore(NAMESPACE).remove("allocator", BufferAllocator.class);
    if (allocator != null) {
      assertEquals(0, allocator.getAllocatedMemory(), () -> "leaked Arrow buffers:\n" + allocator.toVerboseString());
      allocator.close(); // and here if a child allocator was left open
    }
  }
}
