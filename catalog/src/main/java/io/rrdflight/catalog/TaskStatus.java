package io.rrdflight.catalog;

/** Where a registration task is; the words are the ones Rerun's task table uses. */
public enum TaskStatus {
  PENDING("pending"),
  RUNNING("running"),
  SUCCESS("success"),
  FAILED("failed");

  private final String word;

  TaskStatus(String word) {
    this.word = word;
  }

  public String word() {
    return word;
  }

  public boolean finished() {
    return this == SUCCESS || this == FAILED;
  }

  public static TaskStatus ofWord(String word) {
    for (TaskStatus s : values()) {
      if (s.word.equals(word)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown task status: " + word);
  }
}
