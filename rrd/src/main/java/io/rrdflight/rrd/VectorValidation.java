package io.rrdflight.rrd;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.apache.arrow.vector.validate.ValidateVectorDataVisitor;

/**
 * Checks freshly loaded vectors once, so that bad offsets in a corrupt file fail here, located,
 * rather than later in whichever consumer first reads the bad row.
 *
 * <p>Arrow's own {@code ValueVectorUtility.validateFull} cannot be used as is: in Arrow Java 18.3 it
 * asks a FixedSizeListVector for an offset buffer, which that vector does not have, and throws
 * UnsupportedOperationException on every Points3D column. We run the same checks, with fixed-size
 * lists only descending into their values.
 */
final class VectorValidation {
  private VectorValidation() {}

  /** Throws a runtime exception (Arrow's ValidateException) when a buffer or offset is out of range. */
  static void validate(VectorSchemaRoot root) {
    ValueVectorUtility.validate(root);
    DataChecks checks = new DataChecks();
    for (FieldVector vector : root.getFieldVectors()) {
      vector.accept(checks, null);
    }
  }

  private static final class DataChecks extends ValidateVectorDataVisitor {
    @Override
    public Void visit(FixedSizeListVector vector, Void value) {
      vector.getDataVector().accept(this, null);
      return null;
    }
  }
}
