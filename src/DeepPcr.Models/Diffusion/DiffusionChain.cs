using DeepPcr.Chains;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Diffusion;

/// <summary>
/// DDPM ancestral sampling as a chain (DESIGN.md section 1.4): x_T is the input, step k (0-based) is time
/// t = T - k, and f_t(x) = (x - beta_t / sqrt(1 - abar_t) epsHat(x, t)) / sqrt(alpha_t) + sigma_t eps_t with every
/// step's noise eps_t drawn up front, so that every sampler solves the same chain. The Jacobian is dense and
/// analytic: (I - beta_t / sqrt(1 - abar_t) d epsHat / dx) / sqrt(alpha_t).
/// </summary>
public sealed class DiffusionChain : IChainStep
{
    private readonly Tensor meanScale;   // (T): 1 / sqrt(alpha_t), by step k
    private readonly Tensor noiseScale;  // (T): beta_t / sqrt(1 - abar_t) / sqrt(alpha_t)
    private readonly Tensor times;       // (T): t as float

    /// <summary>The chain for a batch of B samples.</summary>
    /// <param name="denoiser">The noise predictor (its weights are not changed).</param>
    /// <param name="schedule">The noise schedule; T = its steps.</param>
    /// <param name="noise">(T, B, w): row k holds sigma_t eps_t for t = T - k (already scaled; zero at t = 1).</param>
    public DiffusionChain(Denoiser denoiser, NoiseSchedule schedule, Tensor noise)
    {
        Denoiser = denoiser ?? throw new ArgumentNullException(nameof(denoiser));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        TensorChecks.Shape(noise, "noise", schedule.Steps, noise.shape.Length == 3 ? noise.size(1) : -1, denoiser.Width);
        Noise = noise;
        int steps = schedule.Steps;
        var ts = Enumerable.Range(0, steps).Select(k => steps - k).ToArray();
        meanScale = torch.tensor(ts.Select(t => 1 / Math.Sqrt(schedule.Alpha[t])).ToArray()).to_type(noise.dtype);
        noiseScale = torch.tensor(ts.Select(t => schedule.NoiseWeight(t) / Math.Sqrt(schedule.Alpha[t])).ToArray()).to_type(noise.dtype);
        times = torch.tensor(ts.Select(t => (double)t).ToArray()).to_type(noise.dtype);
    }

    /// <summary>Draws x_T (B, w) and the noise of every step from one seed, in float64 then cast.</summary>
    public static (Tensor Start, Tensor Noise) DrawNoise(NoiseSchedule schedule, int count, int width, long seed, ScalarType dtype)
    {
        var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var start = torch.randn(new long[] { count, width }, dtype: ScalarType.Float64, generator: generator);
        var eps = torch.randn(new long[] { schedule.Steps, count, width }, dtype: ScalarType.Float64, generator: generator);
        var sigma = torch.tensor(Enumerable.Range(0, schedule.Steps).Select(k => schedule.Sigma(schedule.Steps - k)).ToArray()).reshape(-1, 1, 1);
        return (start.to_type(dtype).MoveToOuterDisposeScope(), (eps * sigma).to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>The noise predictor.</summary>
    public Denoiser Denoiser { get; }

    /// <summary>The schedule.</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>(T, B, w): sigma_t eps_t by step.</summary>
    public Tensor Noise { get; }

    /// <inheritdoc />
    public int Length => Schedule.Steps;

    /// <inheritdoc />
    public int Width => Denoiser.Width;

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <summary>Counts batched step evaluations, per step and sample, for the reports.</summary>
    public long FunctionEvaluations { get; set; }

    /// <summary>Counts Jacobian evaluations, per step and sample.</summary>
    public long JacobianEvaluations { get; set; }

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        long n = inputs.size(0), batch = inputs.size(1);
        FunctionEvaluations += n * batch;
        var (flat, t) = Rows(first, inputs);
        var eps = Denoiser.call(flat, t).reshape(n, batch, Width);
        var mean = inputs * Scale(meanScale, first, n) - eps * Scale(noiseScale, first, n);
        return (mean + Noise.narrow(0, first, n)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        long n = inputs.size(0), batch = inputs.size(1);
        JacobianEvaluations += n * batch;
        var (flat, t) = Rows(first, inputs);
        var jeps = Denoiser.JacobianX(flat, t).reshape(n, batch, Width, Width);
        var identity = torch.eye(Width, dtype: inputs.dtype, device: inputs.device);
        var j = identity * Scale(meanScale, first, n).unsqueeze(-1) - jeps * Scale(noiseScale, first, n).unsqueeze(-1);
        return j.MoveToOuterDisposeScope();
    }

    /// <summary>tr(J_t) / w for steps first..first+n-1 at inputs (n, B, w): (n, B), without forming the Jacobians.</summary>
    public Tensor MeanDiagonal(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        long n = inputs.size(0), batch = inputs.size(1);
        var (flat, t) = Rows(first, inputs);
        var trace = Denoiser.TraceJacobianX(flat, t).reshape(n, batch);
        var mean = Scale(meanScale, first, n).reshape(n, 1) - trace / Width * Scale(noiseScale, first, n).reshape(n, 1);
        return mean.MoveToOuterDisposeScope();
    }

    /// <summary>The step-scalar sqrt(alpha_t) for steps first..first+n-1, as blocks (n, B, 1): the quasi-Newton choice that matches the true contraction.</summary>
    public Tensor SqrtAlphaBlocks(int first, long n, long batch, ScalarType dtype)
    {
        var values = Enumerable.Range(first, (int)n).Select(k => Math.Sqrt(Schedule.Alpha[Schedule.Steps - k])).ToArray();
        return torch.tensor(values).to_type(dtype).reshape(n, 1, 1).expand(n, batch, 1).contiguous();
    }

    private (Tensor Flat, Tensor Times) Rows(int first, Tensor inputs)
    {
        long n = inputs.size(0), batch = inputs.size(1);
        var t = times.narrow(0, first, n).unsqueeze(1).expand(n, batch).reshape(-1);
        return (inputs.reshape(n * batch, Width), t);
    }

    private static Tensor Scale(Tensor perStep, int first, long n) => perStep.narrow(0, first, n).reshape(n, 1, 1);
}
