using FsCheck;
using FsCheck.Fluent;

namespace Dapr.Profiler.ObjectStorage.Tests;

public sealed class PropertyTests : IDisposable
{
    // Separators around '/' (0x2F) in ordinal order make the ordering property bite: '-' '.' '/' '0'.
    private static readonly string[] SegmentPool = ["a", "b", "a-b", "a.b", "a0", "0", "-", "é", "日本", "x y", "z"];

    private readonly TempDirectory _dir = new();
    private int _run;

    public void Dispose() => _dir.Dispose();

    private static Gen<string> KeyGen() =>
        from depth in Gen.Choose(1, 3)
        from segments in Gen.Elements(SegmentPool).ArrayOf(depth)
        select string.Join('/', segments);

    /// <summary>Keys where none is a directory of another: the filesystem cannot hold both <c>a</c> and <c>a/b</c>.</summary>
    private static Gen<(string Key, byte[] Data)[]> ObjectsGen() =>
        (from keys in KeyGen().ListOf()
         from data in Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf().ArrayOf(keys.Count)
         select keys.Zip(data).ToArray())
        .Select(objects =>
        {
            var distinct = objects.DistinctBy(o => o.First, StringComparer.Ordinal).ToArray();
            return distinct
                .Where(o => !distinct.Any(other => other.First.StartsWith(o.First + "/", StringComparison.Ordinal)))
                .Select(o => (o.First, o.Second))
                .ToArray();
        });

    [Fact]
    public void RandomObjects_RoundTrip_AndListReturnsExactlyThePutKeysInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var gen = from objects in ObjectsGen()
                  from prefixSeed in Gen.Choose(0, 1000)
                  select (objects, prefixSeed);

        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (objects, prefixSeed) = input;
            var store = new FileSystemObjectStore(_dir.Sub($"run-{Interlocked.Increment(ref _run)}"));
            foreach (var (key, data) in objects)
            {
                store.PutAsync(key, data, ct).GetAwaiter().GetResult();
            }

            foreach (var (key, data) in objects)
            {
                Assert.Equal(data, store.GetAsync(key, ct).GetAwaiter().GetResult());
            }

            var expected = objects.Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, List(store, "", ct));
            Assert.Equal(objects.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => (long)o.Data.Length), ListSizes(store, ct));

            // A prefix cut from one of the keys at a random point, including mid-segment.
            if (objects.Length > 0)
            {
                var source = objects[prefixSeed % objects.Length].Key;
                var prefix = source[..(prefixSeed % (source.Length + 1))];
                Assert.Equal(expected.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)), List(store, prefix, ct));
            }
        }).QuickCheckThrowOnFailure();
    }

    private static List<string> List(FileSystemObjectStore store, string prefix, CancellationToken ct) =>
        store.ListAsync(prefix, ct).ToBlockingEnumerable(ct).Select(i => i.Key).ToList();

    private static List<long> ListSizes(FileSystemObjectStore store, CancellationToken ct) =>
        store.ListAsync("", ct).ToBlockingEnumerable(ct).Select(i => i.Size).ToList();
}
