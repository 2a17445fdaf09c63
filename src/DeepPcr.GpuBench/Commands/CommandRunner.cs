namespace DeepPcr.GpuBench.Commands;

/// <summary>Runs a command body and turns failures into a one-line message and an exit code.</summary>
public static class CommandRunner
{
    /// <summary>Exit code for bad input: a bad argument or file, no such accelerator.</summary>
    public const int BadInput = 2;

    /// <summary>Runs the body: argument, format, file and missing-device errors give exit 2, anything else 1.</summary>
    /// <param name="body">The command.</param>
    /// <returns>The exit code.</returns>
    public static int Run(Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}
