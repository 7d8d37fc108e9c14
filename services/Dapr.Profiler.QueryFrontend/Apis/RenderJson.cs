using System.Text.Json.Serialization;

namespace Dapr.Profiler.QueryFrontend;

/// <summary>Source-generated JSON for the render API's plain answers.</summary>
[JsonSerializable(typeof(string[]), TypeInfoPropertyName = "StringArray")]
internal sealed partial class RenderJson : JsonSerializerContext;
