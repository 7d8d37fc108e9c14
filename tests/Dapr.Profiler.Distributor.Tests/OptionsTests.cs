using Dapr.Profiler.TestKit;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Distributor.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_AreWhatAPyroscopeUserExpects()
    {
        var options = new DistributorOptions();

        Assert.False(options.MultitenancyEnabled);
        Assert.Equal(64L * 1024 * 1024, options.MaxRequestBodyBytes);
        Assert.Equal(16L * 1024 * 1024, options.MaxDecompressedBytes);
        Assert.Equal(30, options.MaxLabelNamesPerSeries);
        Assert.Equal(1024, options.MaxLabelNameLength);
        Assert.Equal(2048, options.MaxLabelValueLength);
        Assert.Equal(16_000, options.MaxSamplesPerProfile);
        Assert.Equal(1_000, options.MaxSeriesPerProfile);
        Assert.Equal(1_000, options.MaxStackDepth);
        Assert.Equal(512, options.MaxLinesPerLocation);
        Assert.Equal(4_000_000, options.MaxFramesPerProfile);
        Assert.Equal(8L * 1024 * 1024, options.IngestionRateBytesPerSecond);
        Assert.Equal(16L * 1024 * 1024, options.IngestionBurstBytes);
        Assert.Equal(4, options.NumShards);
        Assert.Equal(0, options.TenantShards);
        Assert.Equal(1, options.DatasetShards);
    }

    [Fact]
    public async Task MaxStackDepth_BindsFromConfiguration_AndCountsInlinedLines()
    {
        await using var host = await DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:MaxStackDepth"] = "3" });

        // One location of 10 inlined lines, referenced twice: 20 frames, cut to the outermost two and "other".
        var answer = await host.SendAsync(IngestRequests.Ingest("/ingest?format=pprof&name=app", IngestRequests.Bytes(HostileProfiles.InlinedStack(10, 2, 0))));

        Assert.Equal(200, answer.Status);
        var profile = Assert.Single(host.Writer.Requests).Profile;
        var sample = Assert.Single(profile.Sample);
        var names = sample.LocationId.Reverse()
            .SelectMany(id => profile.Location[(int)id - 1].Line.Reverse())
            .Select(line => profile.StringTable[(int)profile.Function[(int)line.FunctionId - 1].Name]);
        Assert.Equal(["f9", "f8", "other"], names);
    }

    [Theory]
    [InlineData("NumShards", "0")]
    [InlineData("DatasetShards", "0")]
    [InlineData("MaxRequestBodyBytes", "10")]
    [InlineData("IngestionRateBytesPerSecond", "-1")]
    [InlineData("MaxStackDepth", "0")]
    [InlineData("MaxLinesPerLocation", "0")]
    [InlineData("MaxFramesPerProfile", "0")]
    public async Task InvalidSetting_StopsTheHostAtStart(string option, string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:" + option] = value }));
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }
}
