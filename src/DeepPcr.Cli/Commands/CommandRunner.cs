namespace DeepPcr.Cli.Commands;

/// <summary>Runs a command body and turns failures into a one-line message and an exit code.</summary>
public static class CommandRunner
{
    /// <summary>Exit code for bad input: a missing or malformed file, a bad argument.</summary>
    public const int BadInput = 2;

    /// <summary>Runs <paramref name="body"/>; ArgumentException, FormatException and file errors give exit 2, anything else 1.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidDataException or UnauthorizedAccessException)
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
