using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace DeepPcr.Cli.Progress;

/// <summary>
/// Progress of long work (training, sampling, benchmarks), always on stderr so that stdout (tables, --json) stays
/// clean: a Spectre.Console bar with elapsed and remaining time when stderr is an interactive terminal; otherwise
/// plain lines "[done/total] message (elapsed, about ... left)", at most one every <see cref="PlainInterval"/> (by default) besides
/// the first and the last.
/// </summary>
public sealed class ProgressReporter : IDisposable
{
    /// <summary>The shortest gap between two plain lines, by default.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);

    private readonly TimeSpan interval;

    private readonly Stopwatch watch = Stopwatch.StartNew();
    private readonly TextWriter plain;
    private int total;
    private readonly TaskCompletionSource finished = new();
    private readonly Task? renderer;
    private ProgressTask? bar;
    private TimeSpan lastLine = TimeSpan.MinValue;
    private int done;

    private ProgressReporter(string title, int total, TextWriter plain, bool interactive, TimeSpan interval)
    {
        this.interval = interval;
        this.total = Math.Max(1, total);
        this.plain = plain;
        if (!interactive) return;
        var ready = new TaskCompletionSource();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(plain), Interactive = InteractionSupport.Yes });
        renderer = Task.Run(() => console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                bar = context.AddTask(Markup.Escape(title), maxValue: this.total);
                ready.SetResult();
                await finished.Task;
            }));
        ready.Task.Wait();
    }

    /// <summary>A reporter on Console.Error: a bar on a terminal, plain lines otherwise; the work sets <see cref="Total"/>.</summary>
    public static ProgressReporter Start(string title) => new(title, 1, Console.Error, IsInteractive(), PlainInterval);

    /// <summary>A reporter that writes plain lines to <paramref name="writer"/> (TextWriter.Null: nothing), at most one per <paramref name="interval"/> (default <see cref="PlainInterval"/>) besides the first and last.</summary>
    public static ProgressReporter Plain(TextWriter writer, TimeSpan? interval = null) => new("", 1, writer, interactive: false, interval ?? PlainInterval);

    /// <summary>The units of work in all; set by the work once it knows them.</summary>
    public int Total
    {
        get => total;
        set
        {
            total = Math.Max(1, value);
            if (bar is not null) bar.MaxValue = total;
        }
    }

    /// <summary>Units done so far.</summary>
    public int Done => done;

    /// <summary>One unit is done; <paramref name="message"/> says which (the bar shows its first 40 characters, plain mode prints it).</summary>
    public void Advance(string message)
    {
        int now = Interlocked.Increment(ref done);
        if (bar is not null)
        {
            bar.Description = Markup.Escape(message.Length > 40 ? message[..37] + "..." : message);
            bar.Increment(1);
            return;
        }
        var elapsed = watch.Elapsed;
        if (now != 1 && now < total && elapsed - lastLine < interval) return;
        lastLine = elapsed;
        var left = TimeSpan.FromTicks(elapsed.Ticks / now * Math.Max(0, total - now));
        plain.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{now}/{total}] {message} ({Clock(elapsed)} elapsed, about {Clock(left)} left)"));
    }

    /// <summary>Says what runs now without completing a unit: the bar's description, or a plain line.</summary>
    public void Note(string message)
    {
        if (bar is not null) bar.Description = Markup.Escape(message.Length > 40 ? message[..37] + "..." : message);
        else plain.WriteLine(message);
    }

    /// <summary>Stops the bar (left on screen at its last state).</summary>
    public void Dispose()
    {
        finished.TrySetResult();
        renderer?.Wait();
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{t:m\\:ss}";

    /// <summary>Stderr is a terminal that can draw (not redirected, TERM not dumb, CI not set).</summary>
    private static bool IsInteractive() =>
        !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is string term && term != "dumb"
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
}
