using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dapr.Profiler.Compaction.Tests;

public sealed class CompactionOptionsTests
{
    [Fact]
    public void Defaults_AreThoseOfPyroscopeV2()
    {
        var options = new CompactionOptions();
        Assert.Equal((20, TimeSpan.FromSeconds(36)), (options.L0.MaxBlocks, options.L0.MaxAge));
        Assert.Equal((10, TimeSpan.FromMinutes(12)), (options.L1.MaxBlocks, options.L1.MaxAge));
        Assert.Equal((10, TimeSpan.FromHours(3)), (options.L2.MaxBlocks, options.L2.MaxAge));
        Assert.Equal(3, options.FinalLevel);
        Assert.Equal(TimeSpan.FromHours(3), options.MaxJobSpan);
        Assert.Equal(TimeSpan.FromSeconds(15), options.LeaseDuration);
        Assert.Equal(3, options.MaxFailures);
        Assert.Equal(TimeSpan.FromMinutes(15), options.DeletionDelay);
        Assert.Empty(options.Validate(new ValidationContext(options)));
    }

    [Fact]
    public void Validation_NamesTheBadSetting()
    {
        var options = new CompactionOptions { MaxFailures = 0 };
        options.L1.MaxBlocks = 0;
        var errors = options.Validate(new ValidationContext(options)).Select(e => e.ErrorMessage).ToList();
        Assert.Contains(errors, e => e!.Contains("Compaction:L1:MaxBlocks", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("Compaction:MaxFailures", StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_BindFromTheCompactionSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Compaction:L0:MaxBlocks"] = "8",
            ["Compaction:L1:MaxAge"] = "00:00:30",
            ["Compaction:LeaseDuration"] = "00:00:20",
            ["Compaction:DeletionDelay"] = "00:05:00",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddCompactionWorker(configuration).BuildServiceProvider();
        var options = services.GetRequiredService<IOptions<CompactionOptions>>().Value;
        Assert.Equal(8, options.L0.MaxBlocks);
        Assert.Equal(TimeSpan.FromSeconds(36), options.L0.MaxAge);
        Assert.Equal(TimeSpan.FromSeconds(30), options.L1.MaxAge);
        Assert.Equal(10, options.L1.MaxBlocks);
        Assert.Equal(TimeSpan.FromSeconds(20), options.LeaseDuration);
        Assert.Equal(TimeSpan.FromMinutes(5), options.DeletionDelay);
    }
}
