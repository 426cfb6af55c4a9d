package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test method a fresh {@link BufferAllocator} and fails the test if any buffer is still
 * allocated when it ends. The allocator is capped, so a decoding bug that allocates wildly fails
 * instead of exhausting the machine.
 */
final class NoLeaks implements ParameterResolver, AfterEachCallback {
  private static final long LIMIT = 1L << 30;
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoLeaks.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == BufferAllocator.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(NAMESPACE).getOrComputeIfAbsent("allocator", k -> new RootAllocator(LIMIT), BufferAllocator.class);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    BufferAllocator allocator = context.getStore(NAMESPACE).remove("allocator", BufferAllocator.class);
    if (allocator != null) {
      assertEquals(0, allocator.getAllocatedMemory(), () -> "leaked Arrow buffers:\n" + allocator.toVerboseString());
      allocator.close();
    }
  }
}
