using System.ComponentModel.DataAnnotations;

namespace Dapr.Profiler.Metastore;

/// <summary>
/// How long profiles are kept, bound from the <c>Retention</c> section and validated at start. Retention works on
/// data time, by whole index partitions: once <c>now − period</c> passes the end of a partition, the tenant's data in
/// it leaves the index (queries no longer see it) and the objects holding only such data are tombstoned, then deleted
/// by the compaction workers after <c>Compaction:DeletionDelay</c>.
/// </summary>
public sealed class RetentionOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Retention";

    /// <summary>The retention of tenants without an override (31 days, Pyroscope's default). Zero keeps data forever.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(31);

    /// <summary>Per-tenant retention (<c>Retention:Tenants:{tenant}=7.00:00:00</c>); zero keeps that tenant's data forever.</summary>
    public Dictionary<string, TimeSpan> Tenants { get; } = new(StringComparer.Ordinal);

    /// <summary>How often the metastore applies retention. Shorter intervals drop expired data sooner at the cost of a log command each time.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The retention of a tenant: its override, else <see cref="Period"/>.</summary>
    public TimeSpan PeriodOf(string tenant) => Tenants.TryGetValue(tenant, out var period) ? period : Period;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Period < TimeSpan.Zero)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(Period)} must not be negative", [nameof(Period)]);
        }

        foreach (var (tenant, period) in Tenants)
        {
            if (period < TimeSpan.Zero)
            {
                yield return new ValidationResult($"{SectionName}:{nameof(Tenants)}:{tenant} must not be negative", [nameof(Tenants)]);
            }
        }

        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(Interval)} must be between 1 second and 1 day", [nameof(Interval)]);
        }
    }
}
