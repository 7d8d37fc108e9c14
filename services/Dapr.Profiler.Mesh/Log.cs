using Microsoft.Extensions.Logging;

namespace Dapr.Profiler.Mesh;

/// <summary>Log messages of the mesh's actor runtime (EventIds 1200–1399; pub/sub keeps 1100–1199 in its class).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1200, EventName = "Actors.Started", Level = LogLevel.Information,
        Message = "actor runtime started on {Directory} hosting {ActorTypes} actor types; {Reminders} reminders loaded")]
    public static partial void RuntimeStarted(ILogger logger, string directory, int actorTypes, int reminders);

    [LoggerMessage(EventId = 1201, EventName = "Actors.Stopped", Level = LogLevel.Information,
        Message = "actor runtime stopped; {Actors} actors deactivated")]
    public static partial void RuntimeStopped(ILogger logger, int actors);

    [LoggerMessage(EventId = 1202, EventName = "Actors.Activated", Level = LogLevel.Debug,
        Message = "actor {ActorType}/{ActorId} activated")]
    public static partial void Activated(ILogger logger, string actorType, string actorId);

    [LoggerMessage(EventId = 1203, EventName = "Actors.Deactivated", Level = LogLevel.Debug,
        Message = "actor {ActorType}/{ActorId} deactivated ({Reason})")]
    public static partial void Deactivated(ILogger logger, string actorType, string actorId, string reason);

    [LoggerMessage(EventId = 1204, EventName = "Actors.ActivationFailed", Level = LogLevel.Warning,
        Message = "activation of actor {ActorType}/{ActorId} failed")]
    public static partial void ActivationFailed(ILogger logger, Exception exception, string actorType, string actorId);

    [LoggerMessage(EventId = 1205, EventName = "Actors.DeactivationFailed", Level = LogLevel.Warning,
        Message = "deactivation of actor {ActorType}/{ActorId} failed; the activation is dropped anyway")]
    public static partial void DeactivationFailed(ILogger logger, Exception exception, string actorType, string actorId);

    [LoggerMessage(EventId = 1206, EventName = "Actors.ReminderFailed", Level = LogLevel.Error,
        Message = "reminder {ReminderName} of actor {ActorType}/{ActorId} failed; it keeps its schedule")]
    public static partial void ReminderFailed(ILogger logger, Exception exception, string actorType, string actorId, string reminderName);

    [LoggerMessage(EventId = 1207, EventName = "Actors.ReminderRegistered", Level = LogLevel.Debug,
        Message = "reminder {ReminderName} of actor {ActorType}/{ActorId} registered: due {DueTime}, period {Period}")]
    public static partial void ReminderRegistered(ILogger logger, string actorType, string actorId, string reminderName, TimeSpan dueTime, TimeSpan period);

    [LoggerMessage(EventId = 1208, EventName = "Actors.ReminderOfUnknownType", Level = LogLevel.Warning,
        Message = "reminder {ReminderName} of actor {ActorType}/{ActorId} is kept but not armed: the type is not hosted here")]
    public static partial void ReminderOfUnknownType(ILogger logger, string actorType, string actorId, string reminderName);

    [LoggerMessage(EventId = 1209, EventName = "Actors.TimerFailed", Level = LogLevel.Warning,
        Message = "timer {TimerName} of actor {ActorType}/{ActorId} failed; it keeps its schedule")]
    public static partial void TimerFailed(ILogger logger, Exception exception, string actorType, string actorId, string timerName);

    [LoggerMessage(EventId = 1210, EventName = "Actors.ReminderFired", Level = LogLevel.Trace,
        Message = "reminder {ReminderName} of actor {ActorType}/{ActorId} fired")]
    public static partial void ReminderFired(ILogger logger, string actorType, string actorId, string reminderName);

    [LoggerMessage(EventId = 1211, EventName = "Actors.ReminderNotSaved", Level = LogLevel.Error,
        Message = "the schedule of reminder {ReminderName} of actor {ActorType}/{ActorId} could not be saved; it is retried at its period")]
    public static partial void ReminderNotSaved(ILogger logger, Exception exception, string actorType, string actorId, string reminderName);

    [LoggerMessage(EventId = 1212, EventName = "Actors.AbandonedTempFilesRemoved", Level = LogLevel.Information,
        Message = "{Count} temporary files of interrupted writes removed from {Directory}")]
    public static partial void AbandonedTempFilesRemoved(ILogger logger, int count, string directory);
}
