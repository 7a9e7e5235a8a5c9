package dev.switchboard.controlplane.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdminTokensTest {
  @Test
  void readsUsersAndRolesSkippingCommentsAndBlankLines() {
    AdminTokens tokens =
        AdminTokens.parse(
            "t.csv", List.of("# header", "", "  abc , alice , editor ", "def,bob,viewer"));
    assertThat(tokens.size()).isEqualTo(2);
    assertThat(tokens.lookup("abc"))
        .contains(new AdminTokens.User("alice", AdminTokens.Role.EDITOR));
    assertThat(tokens.lookup("def")).contains(new AdminTokens.User("bob", AdminTokens.Role.VIEWER));
    assertThat(tokens.lookup("ab")).isEmpty();
  }

  @Test
  void eachBadLineIsNamedWithFileAndLine() {
    assertThatThrownBy(() -> AdminTokens.parse("t.csv", List.of("abc,alice")))
        .hasMessage("t.csv:1: 2 fields (expected: token,user,role)");
    assertThatThrownBy(() -> AdminTokens.parse("t.csv", List.of("#", "abc,,editor")))
        .hasMessage("t.csv:2: user: Required value");
    assertThatThrownBy(() -> AdminTokens.parse("t.csv", List.of("a b,alice,editor")))
        .hasMessageStartingWith("t.csv:1: token: Invalid value");
    assertThatThrownBy(() -> AdminTokens.parse("t.csv", List.of("abc,alice,root")))
        .hasMessage(
            "t.csv:1: role: Unsupported value: \"root\": supported values: \"editor\", \"viewer\"");
    assertThatThrownBy(
            () -> AdminTokens.parse("t.csv", List.of("abc,alice,editor", "abc,bob,viewer")))
        .hasMessageStartingWith("t.csv:2: token: Duplicate value");
    assertThatThrownBy(() -> AdminTokens.parse("t.csv", List.of("# nothing")))
        .hasMessageStartingWith("t.csv: no tokens");
  }
}
