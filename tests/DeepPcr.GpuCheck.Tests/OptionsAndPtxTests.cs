using DeepPcr.GpuCheck;
using DeepPcr.GpuCheck.DriverApi;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.GpuCheck.Tests;

public class OptionsAndPtxTests
{
    [Fact]
    public void Options_parse_every_flag()
    {
        var options = CheckOptions.Parse(
        [
            "--out", "r.json", "--torch-lib", "/t/lib", "--torch-probe", "p", "--probe-timeout", "12.5",
            "--driver-api", "always", "--accelerator", "cpu", "--repetitions", "7",
        ])!;

        Assert.Equal("r.json", options.OutFile);
        Assert.Equal("/t/lib", options.TorchLib);
        Assert.Equal("p", options.TorchProbe);
        Assert.Equal(TimeSpan.FromSeconds(12.5), options.ProbeTimeout);
        Assert.Equal(DriverApiMode.Always, options.DriverApi);
        Assert.Equal(AcceleratorChoice.Cpu, options.Kernel.Accelerator);
        Assert.Equal(7, options.Kernel.Repetitions);
    }

    [Fact]
    public void Options_reject_unknown_flags_and_bad_values_and_help_returns_null()
    {
        Assert.Throws<ArgumentException>(() => CheckOptions.Parse(["--nope"]));
        Assert.Throws<ArgumentException>(() => CheckOptions.Parse(["--driver-api", "sometimes"]));
        Assert.Throws<ArgumentException>(() => CheckOptions.Parse(["--out"]));
        Assert.Null(CheckOptions.Parse(["--help"]));
        Assert.Null(CheckOptions.Parse([])!.TorchLib);
    }

    [Fact]
    public void Ptx_targets_the_device_then_a_generic_fallback()
    {
        Assert.Equal([("8.0", "sm_90"), ("7.0", "sm_52")], AddOnePtx.Candidates(9, 0));
        Assert.Equal(("8.8", "sm_100"), AddOnePtx.Candidates(10, 0)[0]);

        string ptx = AddOnePtx.Source("8.0", "sm_90");
        Assert.StartsWith(".version 8.0\n.target sm_90\n.address_size 64\n", ptx.ReplaceLineEndings("\n"));
        Assert.Contains(".visible .entry add_one(", ptx);
        Assert.Contains("\nDONE:\n", ptx.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Ilgpu_153_emits_ptx_isa_up_to_8_8()
    {
        Assert.Equal(CudaInstructionSet.ISA_88, ContextRecipe.NewestSupportedInstructionSet);
        Assert.True(CudaAccelerator.TryGetInstructionSet(CudaArchitecture.SM_90, CudaDriverVersion.FromMajorMinor(13, 0), out _, out var isa));
        Assert.Equal(CudaInstructionSet.ISA_88, isa);   // a CUDA 13 driver on an H100 maps to a supported ISA
    }
}
