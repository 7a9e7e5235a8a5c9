package dev.switchboard.agent.dns;

import java.util.Arrays;
import java.util.List;

/**
 * The zone answers the UDP fast path ({@link FastPath}) may send, keyed by the question's name in
 * wire form, ASCII case-folded, and the query type: found straight from the bytes of a datagram,
 * with no {@code String} made and nothing allocated. Why a table of its own (open addressing on
 * arrays) and not a {@code HashMap}: a map key would be an object built per query, and hashing the
 * name from the datagram is most of a lookup's cost.
 *
 * <p>Filled only by the codec path ({@link AnswerCache#get(DnsZone, String, int, byte[])}), so the
 * fast path answers only questions the codec path has answered in this zone snapshot, with the same
 * {@link AnswerCache.Prepared}: the answers are the same by construction. Emptied with the {@link
 * AnswerCache} (a new snapshot) and when it holds {@value #MAX_ENTRIES} names (random names cannot
 * grow it; case variants of one name share an entry). Confined to the DNS event loop.
 */
final class WireAnswers {
  static final int MAX_ENTRIES = AnswerCache.MAX_ENTRIES;

  /** Twice the entries, a power of two: probes stay short. */
  private static final int SLOTS = Integer.highestOneBit(MAX_ENTRIES) * 2;

  private final byte[][] names = new byte[SLOTS][];
  private final int[] types = new int[SLOTS];
  private final Entry[] entries = new Entry[SLOTS];
  private int size;

  /**
   * One answer ready to be written: the answer and authority sections' bytes in one array, the
   * additional section's in another (our OPT record, when the query had one, goes between them, as
   * the codec path writes it), and the records themselves for a response that must be cut.
   */
  record Entry(
      AnswerCache.Prepared prepared,
      byte[] answerAndAuthority,
      byte[] additional,
      int answerCount,
      int authorityCount,
      int additionalCount) {

    static Entry of(AnswerCache.Prepared p) {
      byte[] first = concat(p.answers(), p.authority());
      byte[] extra = concat(p.additional(), List.of());
      return new Entry(
          p, first, extra, p.answers().size(), p.authority().size(), p.additional().size());
    }

    /** Every section's bytes, the OPT record aside. */
    int size() {
      return answerAndAuthority.length + additional.length;
    }

    private static byte[] concat(List<WireCodec.Wire> a, List<WireCodec.Wire> b) {
      int n = 0;
      for (WireCodec.Wire w : a) {
        n += w.size();
      }
      for (WireCodec.Wire w : b) {
        n += w.size();
      }
      byte[] out = new byte[n];
      int at = 0;
      for (WireCodec.Wire w : a) {
        System.arraycopy(w.bytes(), 0, out, at, w.size());
        at += w.size();
      }
      for (WireCodec.Wire w : b) {
        System.arraycopy(w.bytes(), 0, out, at, w.size());
        at += w.size();
      }
      return out;
    }
  }

  /**
   * The entry of the name {@code message[offset, offset + length)} (wire form, any case; checked by
   * the caller: plain labels, ASCII) and {@code qtype}; null when there is none.
   */
  Entry find(byte[] message, int offset, int length, int qtype) {
    int mask = SLOTS - 1;
    for (int i = hash(message, offset, length, qtype) & mask; ; i = (i + 1) & mask) {
      byte[] name = names[i];
      if (name == null) {
        return null;
      }
      if (types[i] == qtype && foldedEquals(name, message, offset, length)) {
        return entries[i];
      }
    }
  }

  /**
   * Remembers {@code answer} for {@code wireName} (as received) and {@code qtype}, unless known.
   */
  void put(byte[] wireName, int qtype, AnswerCache.Prepared answer) {
    if (find(wireName, 0, wireName.length, qtype) != null) {
      return;
    }
    if (size >= MAX_ENTRIES) {
      clear();
    }
    byte[] folded = new byte[wireName.length];
    for (int j = 0; j < folded.length; j++) {
      folded[j] = fold(wireName[j]);
    }
    int mask = SLOTS - 1;
    int i = hash(folded, 0, folded.length, qtype) & mask;
    while (names[i] != null) {
      i = (i + 1) & mask;
    }
    names[i] = folded;
    types[i] = qtype;
    entries[i] = Entry.of(answer);
    size++;
  }

  void clear() {
    if (size > 0) {
      Arrays.fill(names, null);
      Arrays.fill(entries, null);
      size = 0;
    }
  }

  int size() {
    return size;
  }

  /**
   * ASCII lower case, as {@code toLowerCase(Locale.ROOT)} folds the codec path's names (they are
   * ASCII there too: other names are FORMERR, never answered from here). Length bytes are under 64,
   * so never folded.
   */
  static byte fold(byte b) {
    return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
  }

  private static int hash(byte[] bytes, int offset, int length, int qtype) {
    int h = qtype;
    for (int j = offset; j < offset + length; j++) {
      h = 31 * h + fold(bytes[j]);
    }
    return h ^ (h >>> 16);
  }

  private static boolean foldedEquals(byte[] folded, byte[] bytes, int offset, int length) {
    if (folded.length != length) {
      return false;
    }
    for (int j = 0; j < length; j++) {
      if (folded[j] != fold(bytes[offset + j])) {
        return false;
      }
    }
    return true;
  }
}
