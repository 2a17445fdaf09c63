using System.CommandLine;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Mlp;
using DeepPcr.Cli.Recurrent;
using DeepPcr.Models.Recurrent;
using DeepPcr.Recurrent;

namespace DeepPcr.Cli.Commands;

/// <summary>The options of `deeppcr make-model` that write a recurrent model file (with --cell) instead of a deep MLP.</summary>
public sealed class RecurrentModelOptions
{
    public Option<string?> Cell { get; } = new("--cell") { Description = $"Write a recurrent model file of this cell ({string.Join(", ", RecurrentCells.Names)}) instead of a deep MLP." };
    public Option<long> Hidden { get; } = new("--hidden") { Description = "With --cell: hidden size H.", DefaultValueFactory = _ => 8 };
    public Option<long?> InputSize { get; } = new("--input-size") { Description = "With --cell: input features I (default H)." };
    public Option<long> NumLayers { get; } = new("--num-layers") { Description = "With --cell: stacked layers.", DefaultValueFactory = _ => 1 };
    public Option<long> Length { get; } = new("--length", "-T") { Description = "With --cell: sequence length T of the input.", DefaultValueFactory = _ => 64 };
    public Option<bool> Bidirectional { get; } = new("--bidirectional") { Description = "With --cell: bidirectional layers (parameters ..._reverse)." };
    public Option<bool> NoBias { get; } = new("--no-bias") { Description = "With --cell: no bias_ih, bias_hh (PyTorch's bias=False)." };
    public Option<bool> InitialState { get; } = new("--initial-state") { Description = "With --cell: the input file also holds h0 (and c0) [layers·directions, B, H]." };

    /// <summary>The options in the order help lists them.</summary>
    public IEnumerable<Option> All => new Option[] { Cell, Hidden, InputSize, NumLayers, Length, Bidirectional, NoBias, InitialState };

    /// <summary>True when --cell was given.</summary>
    public bool Requested(ParseResult parsed) => parsed.GetValue(Cell) is not null;

    /// <summary>
    /// The files to write. The deep-MLP options <paramref name="mlpOnly"/> must not be given with --cell; --batch,
    /// --dtype and --seed are shared.
    /// </summary>
    /// <exception cref="UsageException">An unknown cell, or an MLP-only option given with --cell.</exception>
    public RecurrentModelSpec Spec(ParseResult parsed, MlpOptions mlp, IEnumerable<Option> mlpOnly)
    {
        var given = mlpOnly.Where(o => parsed.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();
        if (given.Length > 0) throw new UsageException($"{string.Join(", ", given)}: deep-MLP option(s) cannot be combined with --cell (a recurrent model takes --hidden, --input-size, --num-layers, --length).");
        RecurrentCell cell;
        try
        {
            cell = RecurrentCells.Parse(parsed.GetValue(Cell)!);
        }
        catch (ArgumentException)
        {
            throw new UsageException($"--cell: unknown cell '{parsed.GetValue(Cell)}'; use one of {string.Join(", ", RecurrentCells.Names)}.");
        }
        long hidden = parsed.GetValue(Hidden);
        var layout = new RecurrentLayout(cell, parsed.GetValue(InputSize) ?? hidden, hidden, parsed.GetValue(NumLayers), !parsed.GetValue(NoBias),
            BatchFirst: true, Bidirectional: parsed.GetValue(Bidirectional));
        return new RecurrentModelSpec(layout, parsed.GetValue(mlp.Batch), parsed.GetValue(Length), MlpPoint.ParseDtype(parsed.GetValue(mlp.Dtype)!),
            parsed.GetValue(mlp.Seed), parsed.GetValue(InitialState));
    }

    /// <summary>Refuses recurrent options without --cell.</summary>
    /// <exception cref="UsageException">A recurrent option was given without --cell.</exception>
    public void RefuseWithoutCell(ParseResult parsed)
    {
        var given = All.Skip(1).Where(o => parsed.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();
        if (given.Length > 0) throw new UsageException($"{string.Join(", ", given)}: recurrent option(s) need --cell.");
    }
}
