using Dapr.Profiler.Mesh;

namespace Dapr.Profiler.Dapr;

/// <summary>
/// A call of a mesh actor method through the Dapr SDK: every method travels as the SDK actor method
/// <see cref="MeshActorBridge.MethodName"/> with the mesh method's name and its protobuf request.
/// </summary>
public sealed record MeshActorCall(string Method, byte[] Data);

/// <summary>The answer: the protobuf response, or the status and message of a failed call (<c>Failure</c> set).</summary>
public sealed record MeshActorReply(byte[] Data, ServiceStatus? Failure, string? Error);
