using DeepPcr.Gpu.Engine;

namespace DeepPcr.GpuBench.Bench;

/// <summary>One cell of the benchmark: L layers of width w, batch B.</summary>
/// <param name="Layers">L.</param>
/// <param name="Width">w.</param>
/// <param name="Batch">B.</param>
public sealed record Cell(int Layers, int Width, int Batch)
{
    /// <summary>The cell's file stem, e.g. "L1024_w4_b1".</summary>
    public string Name => $"L{Layers}_w{Width}_b{Batch}";
}

/// <summary>What every cell of a run shares.</summary>
/// <param name="Repeats">Timed repetitions per method (at least 1; 5 or more for figures).</param>
/// <param name="Seed">Seed of the model (and, offset, of the input and cotangent).</param>
/// <param name="Gain">Weight scale: weights N(0, gain^2 / w).</param>
/// <param name="Accelerator">CUDA or the CPU emulator.</param>
/// <param name="Engine">The engine's settings (tolerances, thread mapping, one-group limit).</param>
public sealed record BenchSettings(int Repeats, int Seed, double Gain, AcceleratorKind Accelerator, EngineOptions Engine)
{
    /// <summary>Throws on settings that cannot work.</summary>
    /// <exception cref="ArgumentException">Repeats below 1, a negative or non-finite gain.</exception>
    public void Validate()
    {
        if (Repeats < 1) throw new ArgumentException($"--repeats is {Repeats}; it must be at least 1.");
        if (!double.IsFinite(Gain) || Gain < 0) throw new ArgumentException($"--gain is {Gain}; it must be a finite non-negative number.");
        Engine.Validate();
    }

    /// <summary>Throws on a cell the engine cannot run.</summary>
    /// <param name="cell">The cell.</param>
    /// <exception cref="ArgumentException">L or B below 1, w outside 1..64.</exception>
    public static void Validate(Cell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        if (cell.Layers < 1 || cell.Batch < 1 || cell.Width < 1 || cell.Width > DeepPcr.Gpu.Model.MlpModel.MaxWidth)
            throw new ArgumentException($"Cell (L, w, B) = ({cell.Layers}, {cell.Width}, {cell.Batch}): L and B must be at least 1 and w in 1..{DeepPcr.Gpu.Model.MlpModel.MaxWidth}.");
    }
}
