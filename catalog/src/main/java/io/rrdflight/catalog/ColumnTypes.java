package io.rrdflight.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ArrowType.ArrowTypeID;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * When two recordings' columns of one name hold the same kind of values: the rules for the two
 * places that ask. Registration asks whether a new recording's column merges with the dataset's
 * ({@link #mergeable}), as Rerun's server does since 0.30 (Arrow's schema merge: a Null column takes
 * any type, structs gain fields, lists merge their items, nullability widens; anything else must be
 * the same type, unions must be identical). Reading asks whether one column's buffers can be copied
 * as another's ({@link #sameValueTypes}): stricter, since a Null column's or a narrower struct's
 * buffers are not the other's; such a column is first read as the wider type ({@link #widensTo}).
 */
public final class ColumnTypes {
  private ColumnTypes() {}

  /**
   * Whether values of {@code a} may be copied as values of {@code b}: the same Arrow types all the way
   * down (and, in structs, the same field names); nullability and metadata do not matter.
   */
  public static boolean sameValueTypes(Field a, Field b) {
    if (!a.getType().equals(b.getType()) || a.getChildren().size() != b.getChildren().size()) {
      return false;
    }
    boolean named = a.getType().getTypeID() == ArrowTypeID.Struct;
    for (int i = 0; i < a.getChildren().size(); i++) {
      Field x = a.getChildren().get(i);
      Field y = b.getChildren().get(i);
      if ((named && !x.getName().equals(y.getName())) || !sameValueTypes(x, y)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a column of type {@code narrower} is read as {@code wider} by making null what it lacks: it
   * merges into {@code wider} and adds nothing to it (a Null part, a struct with fewer fields). A
   * recording's column and its dataset's, once registration has merged them.
   */
  public static boolean widensTo(Field narrower, Field wider) {
    return mergeable(wider, narrower) && sameValueTypes(merged(wider, narrower), wider);
  }

  /** Whether a recording whose column is {@code added} may join a dataset whose column of that name is {@code known}. */
  public static boolean mergeable(Field known, Field added) {
    if (known.equals(added)) {
      return true;
    }
    if (containsUnion(added)) {
      return false; // Rerun's server merges no union that differs in any way
    }
    return merges(known, added);
  }

  private static boolean merges(Field known, Field added) {
    ArrowType k = known.getType();
    ArrowType a = added.getType();
    if (k.getTypeID() == ArrowTypeID.Null || a.getTypeID() == ArrowTypeID.Null) {
      return true;
    }
    if (!Objects.equals(dictionary(known), dictionary(added))) {
      return false;
    }
    return switch (k.getTypeID()) {
      case Struct -> a.getTypeID() == ArrowTypeID.Struct && added.getChildren().stream().allMatch(c ->
          child(known, c.getName()).map(kc -> merges(kc, c)).orElse(true));
      case List, LargeList -> k.equals(a) && merges(known.getChildren().get(0), added.getChildren().get(0));
      // Fixed-size lists, maps and the rest: the whole type, their items' names and nullability included.
      default -> k.equals(a) && known.getChildren().equals(added.getChildren());
    };
  }

  /**
   * The column a dataset shows once {@code added} joined {@code known} ({@link #mergeable} holds): a Null
   * part takes the other's type, a struct has the fields of both, a list its items merged; it is nullable
   * when either is. Name and metadata are {@code known}'s.
   */
  public static Field merged(Field known, Field added) {
    if (known.getType().getTypeID() == ArrowTypeID.Null) {
      return retyped(known, added, added.getChildren(), true);
    }
    if (added.getType().getTypeID() == ArrowTypeID.Null) {
      return retyped(known, known, known.getChildren(), true);
    }
    List<Field> children = switch (known.getType().getTypeID()) {
      case Struct -> {
        List<Field> fields = new ArrayList<>();
        for (Field k : known.getChildren()) {
          fields.add(child(added, k.getName()).map(a -> merged(k, a)).orElse(k));
        }
        added.getChildren().stream().filter(a -> child(known, a.getName()).isEmpty()).forEach(fields::add);
        yield fields;
      }
      case List, LargeList -> List.of(merged(known.getChildren().get(0), added.getChildren().get(0)));
      default -> known.getChildren();
    };
    return retyped(known, known, children, added.isNullable());
  }

  private static Field retyped(Field named, Field typed, List<Field> children, boolean nullable) {
    return new Field(named.getName(), new FieldType(named.isNullable() || nullable, typed.getType(), typed.getDictionary(), named.getMetadata()),
        children);
  }

  /** A dictionary's shape without its id: recordings number their dictionaries each their own way. */
  private static Optional<List<Object>> dictionary(Field field) {
    DictionaryEncoding d = field.getDictionary();
    return d == null ? Optional.empty() : Optional.of(List.of(d.getIndexType(), d.isOrdered()));
  }

  private static Optional<Field> child(Field parent, String name) {
    return parent.getChildren().stream().filter(c -> c.getName().equals(name)).findFirst();
  }

  private static boolean containsUnion(Field field) {
    return field.getType().getTypeID() == ArrowTypeID.Union || field.getChildren().stream().anyMatch(ColumnTypes::containsUnion);
  }

  /** A field's type as messages name it, e.g. {@code List<Int(64, true)>}. */
  public static String text(Field field) {
    String type = field.getDictionary() == null ? field.getType().toString()
        : "Dictionary<" + field.getDictionary().getIndexType() + ", " + field.getType() + ">";
    return field.getChildren().isEmpty() ? type
        : type + "<" + field.getChildren().stream().map(ColumnTypes::text).collect(Collectors.joining(", ")) + ">";
  }
}
