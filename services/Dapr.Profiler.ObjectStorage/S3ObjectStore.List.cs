using System.Runtime.CompilerServices;
using Amazon.S3.Model;

namespace Dapr.Profiler.ObjectStorage;

public sealed partial class S3ObjectStore
{
    private int _listRequests;

    /// <summary>ListObjectsV2 requests made so far (tests check that listing paginates).</summary>
    internal int ListRequests => Volatile.Read(ref _listRequests);

    /// <summary>
    /// Every object whose key starts with <paramref name="prefix"/> as a plain string (S3 semantics), in S3's key
    /// order, fetched one ListObjectsV2 page at a time as the caller enumerates. Objects put or deleted during the
    /// listing may or may not appear.
    /// </summary>
    /// <exception cref="ObjectStoreException">A page could not be fetched, or the server broke the key order.</exception>
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix + prefix, MaxKeys = ListPageSize };
        string? previous = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ListObjectsV2Response page;
            try
            {
                Interlocked.Increment(ref _listRequests);
                page = await _client.ListObjectsV2Async(request, cancellationToken);
            }
            catch (Exception ex) when (IsFailure(ex, cancellationToken))
            {
                throw Failure("ListObjectsV2", prefix, $"cannot list objects with prefix {prefix}", ex);
            }

            foreach (var entry in page.S3Objects ?? [])
            {
                // Each page continues after the last key of the one before; a server that does not sort its keys
                // the way S3 does skips objects there. What is seen out of order is reported, never passed on.
                if (previous is not null && CompareCodePoints(entry.Key, previous) <= 0)
                {
                    Log.S3ListOutOfOrder(_logger, entry.Key, previous, _bucket);
                    throw new ObjectStoreException(
                        $"cannot list objects with prefix {prefix} in bucket {_bucket}: the server listed {entry.Key} after {previous}, out of S3's key order");
                }

                previous = entry.Key;
                if (TryGetKey(entry.Key, out var key))
                {
                    yield return new ObjectInfo(key, entry.Size ?? 0, ToTimestamp(entry.LastModified));
                }
            }

            if (page.IsTruncated != true)
            {
                yield break;
            }

            if (string.IsNullOrEmpty(page.NextContinuationToken))
            {
                throw new ObjectStoreException(
                    $"cannot list objects with prefix {prefix} in bucket {_bucket}: the server sent a truncated page without a continuation token");
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>
    /// Compares strings by Unicode code point, which is S3's order (that of UTF-8 bytes). <see cref="string.CompareOrdinal(string, string)"/>
    /// differs only where a surrogate pair meets a character from U+E000 to U+FFFF.
    /// </summary>
    internal static int CompareCodePoints(string x, string y)
    {
        var common = Math.Min(x.Length, y.Length);
        for (var i = 0; i < common; i++)
        {
            if (x[i] != y[i])
            {
                return CodePointRank(x[i]) - CodePointRank(y[i]);
            }
        }

        return x.Length - y.Length;
    }

    /// <summary>Moves surrogates above the rest of the BMP, so UTF-16 units compare as their code points do.</summary>
    private static int CodePointRank(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };

    /// <summary>The store's key of an S3 key in this store's prefix, unless it is no valid key (made by something else).</summary>
    private bool TryGetKey(string s3Key, out string key)
    {
        key = string.Empty;
        if (!s3Key.StartsWith(_prefix, StringComparison.Ordinal))
        {
            Log.S3ForeignKeySkipped(_logger, s3Key, _bucket, "outside the prefix");
            return false;
        }

        var candidate = s3Key[_prefix.Length..];
        try
        {
            ObjectKeys.Validate(candidate);
        }
        catch (InvalidObjectKeyException ex)
        {
            Log.S3ForeignKeySkipped(_logger, s3Key, _bucket, ex.Message);
            return false;
        }

        key = candidate;
        return true;
    }
}
