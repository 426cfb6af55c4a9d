package io.rrdflight.server.cli;

import io.rrdflight.server.auth.Authenticator;
import io.rrdflight.server.auth.Role;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rrdflight user}: people who sign in with a password (DBeaver, JDBC's user and password). */
@Command(
    name = "user",
    mixinStandardHelpOptions = true,
    description = "Adds, lists and removes users who sign in with a name and password through Flight's handshake"
        + " (the JDBC driver's user/password, DBeaver, ADBC's username/password). Rerun's SDK uses tokens.",
    subcommands = {UserCommand.Add.class, UserCommand.Remove.class, UserCommand.ListUsers.class},
    footerHeading = "%nExamples:%n",
    footer = {
      "  rrdflight user add alice --role reader                  (asks for the password twice)",
      "  printf '%s\\n' \"$PASSWORD\" | rrdflight user add ci --role writer --password-stdin",
      "  JDBC: jdbc:arrow-flight-sql://HOST:51234/?useEncryption=true&user=alice&password=..."
    })
final class UserCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: use 'user add', 'user remove' or 'user list'");
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Adds user NAME. The password is read from the terminal (twice), or from the first line of stdin"
          + " with --password-stdin or when stdin is not a terminal. Only its PBKDF2 hash is stored.")
  static final class Add implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin AuthStateOption authState = new AuthStateOption();

    @Parameters(paramLabel = "NAME", description = "The user name (no ':').")
    String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE", description = "reader, writer or admin.")
    String role;

    @Option(names = "--password-stdin", description = "Read the password from the first line of stdin.")
    boolean passwordStdin;

    @Override
    public Integer call() throws IOException {
      Role parsedRole;
      try {
        parsedRole = Role.parse(role);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      char[] password = readPassword();
      try (Authenticator auth = authState.authenticator()) {
        auth.users().add(name, parsedRole, password);
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage(), 1);
      } finally {
        Arrays.fill(password, '\0');
      }
      spec.commandLine().getOut().println("rrdflight: added user '" + name + "' (" + parsedRole.label() + ")");
      return 0;
    }

    private char[] readPassword() throws IOException {
      Console console = System.console();
      if (console != null && !passwordStdin) {
        char[] first = console.readPassword("Password for %s: ", name);
        char[] second = console.readPassword("Again: ");
        if (first == null || second == null || !Arrays.equals(first, second)) {
          throw new UserError("the passwords differ", 1);
        }
        Arrays.fill(second, '\0');
        return first;
      }
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line = in.readLine();
      if (line == null || line.isEmpty()) {
        throw new UserError("no password on stdin (give it as the first line)", 1);
      }
      return line.toCharArray();
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Removes user NAME; the session tokens the user holds stop working on their next call.")
  static final class Remove implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin AuthStateOption authState = new AuthStateOption();

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      try (Authenticator auth = authState.authenticator()) {
        if (!auth.users().remove(name)) {
          throw new UserError("no user named '" + name + "'", 1);
        }
      }
      spec.commandLine().getOut().println("rrdflight: removed user '" + name + "'");
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists users: name, role, created.")
  static final class ListUsers implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin AuthStateOption authState = new AuthStateOption();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (Authenticator auth = authState.authenticator()) {
        out.println("NAME\tROLE\tCREATED");
        auth.users().list().forEach(u -> out.println(u.name() + "\t" + u.role().label() + "\t" + u.createdAt()));
      }
      return 0;
    }
  }
}
