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
        Assert.Equal(8L * 1024 * 1024, options.IngestionRateBytesPerSecond);
        Assert.Equal(16L * 1024 * 1024, options.IngestionBurstBytes);
        Assert.Equal(4, options.NumShards);
        Assert.Equal(0, options.TenantShards);
        Assert.Equal(1, options.DatasetShards);
    }

    [Theory]
    [InlineData("NumShards", "0")]
    [InlineData("DatasetShards", "0")]
    [InlineData("MaxRequestBodyBytes", "10")]
    [InlineData("IngestionRateBytesPerSecond", "-1")]
    public async Task InvalidSetting_StopsTheHostAtStart(string option, string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            DistributorHost.StartAsync(new Dictionary<string, string?> { ["Distributor:" + option] = value }));
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }
}
