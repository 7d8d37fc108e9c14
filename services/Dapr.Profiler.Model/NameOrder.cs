namespace Dapr.Profiler.Model;

/// <summary>
/// Orders names the way Go orders strings: byte by byte over their UTF-8 encoding. This equals ordinal order of
/// UTF-16 code units except for surrogate pairs (code points above U+FFFF), which sort after U+E000..U+FFFF in
/// UTF-8 but before them in UTF-16. Pyroscope sorts tree children with Go's <c>&lt;</c>, so flame graphs must too.
/// </summary>
public sealed class NameOrder : IComparer<string>
{
    public static NameOrder Instance { get; } = new();

    private NameOrder()
    {
    }

    public int Compare(string? x, string? y) => CompareUtf8(x ?? string.Empty, y ?? string.Empty);

    public static int CompareUtf8(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var i = a.AsSpan().CommonPrefixLength(b);
        if (i == a.Length || i == b.Length)
        {
            return a.Length.CompareTo(b.Length);
        }

        return CodePointOrder(a[i]).CompareTo(CodePointOrder(b[i]));
    }

    /// <summary>Moves surrogates above U+E000..U+FFFF so that code units compare like code points.</summary>
    private static int CodePointOrder(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
}
